"""What the end-user portal offers: the services a user's organisation may use today."""
