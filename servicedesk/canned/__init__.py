"""Canned replies: texts kept by admins, per resolver group or for everyone, with placeholders."""
