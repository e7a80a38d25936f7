"""The collections area: the aging worklist and one customer's receivables."""
