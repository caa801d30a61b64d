"""Vocabulary shared by the models, the schemas and the pure rules."""

from enum import StrEnum


class Provider(StrEnum):
    """The two service centres behind the one desk."""

    ICT = "ICT"
    THH = "THH"


class Role(StrEnum):
    END_USER = "end_user"
    CUSTOMER_CONTACT = "customer_contact"
    AGENT = "agent"
    SUPPLIER_AGENT = "supplier_agent"
    ACCOUNT_MANAGER = "account_manager"
    ADMIN = "admin"


#: Roles of the centre's own staff: they may read internal notes.
STAFF_ROLES = frozenset({Role.AGENT, Role.ACCOUNT_MANAGER, Role.ADMIN})
#: Roles that act for a customer organisation and must belong to one.
CUSTOMER_ROLES = frozenset({Role.END_USER, Role.CUSTOMER_CONTACT})


class Locale(StrEnum):
    FI = "fi"
    SV = "sv"
    EN = "en"
