"""The requester's rating of a resolved ticket (1-5 and a comment), once."""
