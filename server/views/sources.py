"""(placeholder: filled in by the pages work of issue 5)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sources", __name__)
