"""The public service-level page: the catalogue with its price list, and compliance and
volumes per service family and month across all owners, with small cells suppressed."""
