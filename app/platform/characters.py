"""Characters no text the platform stores or hands out may hold; shared by the forms, the imports and the exports.

It lives beside the forms because forms/ may not import the app package (see tests/unit/test_dependency_rule.py).
"""
import re

# What a spreadsheet cell cannot hold (the XML 1.0 rule openpyxl enforces): C0 controls but tab, LF and CR.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
