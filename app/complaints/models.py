"""The business-environment complaints centre (营商环境投诉举报中心).

A complaint is received (受理 or declined), assigned to one or more
departments with a deadline (统一交办), supervised with reminders (统一督办),
answered by each department, and closed with the complainant's satisfaction —
or reopened. The complainant's identity lives on the complaint only and is
shown to complaints handlers alone; departments see their assignments.
"""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.casework.models import Case, CaseKind
from app.departments.models import Department
from app.extensions import db


class ComplaintCategory(str, enum.Enum):
    """The four kinds the centre takes."""

    discipline = "discipline"                # 纪检监察监督
    procuratorial = "procuratorial"          # 检察法律监督
    enforcement = "enforcement"              # 行政执法监督
    enterprise_policy = "enterprise_policy"  # 涉企政策监督


def _enum(cls, name: str, length: int = 20):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


complaint_departments = Table(
    "complaint_departments",
    db.metadata,
    Column("complaint_id", ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


class Complaint(Case):
    """One complaint as filed. Its progress is the case's; identity fields are for complaints handlers only."""

    __tablename__ = "complaints"
    __mapper_args__ = {"polymorphic_identity": CaseKind.complaint}

    id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    query_code_hash: Mapped[str] = mapped_column(String(255))  # a werkzeug scrypt hash
    category: Mapped[ComplaintCategory] = mapped_column(_enum(ComplaintCategory, "complaint_category"), index=True)
    description: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(50), default="")
    occurred_on: Mapped[date | None] = mapped_column()
    # Identity: optional (anonymous complaints are accepted), never shown to departments.
    complainant_name: Mapped[str] = mapped_column(String(100), default="")
    complainant_organisation: Mapped[str] = mapped_column(String(200), default="")
    complainant_phone: Mapped[str] = mapped_column(String(255), default="")  # sealed like pool phones
    complainant_phone_masked: Mapped[str] = mapped_column(String(20), default="")
    complainant_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    complainant_contact: Mapped[str] = mapped_column(String(200), default="")
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))

    departments: Mapped[list[Department]] = relationship(secondary=complaint_departments,
                                                         order_by=Department.sort_order)
    repeat_of: Mapped["Complaint | None"] = relationship(remote_side="Complaint.id", foreign_keys=[repeat_of_id])

    @property
    def anonymous(self) -> bool:
        return not (self.complainant_name or self.complainant_organisation or self.complainant_phone
                    or self.complainant_contact)
