"""Time entries: minutes of work the desk records on a ticket; expert work is billed hourly."""
