"""KPK Service Desk: the Flask application (tickets, users and access, the JSON API).

The package root stays import-free so that `catalog` and `sla` may import
`servicedesk.db` without pulling in the whole application; the app factory
lives in `servicedesk.app`.
"""
