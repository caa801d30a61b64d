"""TEMPORARY"""
from servicedesk.web.blueprint import bp
@bp.get("/desk/supplier")
def supplier_legs():
    return "x"
