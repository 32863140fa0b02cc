"""Departments (服务部门、重点单位): the units that are evaluated."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow


class DepartmentKind(str, enum.Enum):
    """服务部门 (a service department) or 重点单位 (a key unit, e.g. a utility or a hospital)."""

    service = "service"
    key_unit = "key_unit"


class Department(db.Model):
    """A department that respondents rate. Never deleted once created: rounds refer to it."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[DepartmentKind] = mapped_column(
        Enum(DepartmentKind, native_enum=False, create_constraint=True, length=16, name="department_kind"),
        default=DepartmentKind.service,
    )
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @staticmethod
    def ordered():
        """Departments in display order: by sort order, then code."""
        return select(Department).order_by(Department.sort_order, Department.code)

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"
