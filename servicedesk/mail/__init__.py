"""E-mail in: one code path for the MTA pipe (`servicedesk mail-in`) and the IMAP poller."""
