"""Files on tickets and comments: stored in the database, sniffed, served as downloads."""
