"""The disputes area: the queue, the new-dispute form and the case page."""
