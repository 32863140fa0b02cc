"""The casework engine: one workflow for every kind of case — complaints, forum problems, policy applications —
from assignment with working-day deadlines to a closing with an outcome and a confirmation (docs/CASEWORK.md).
Real-time follow-ups of 差评 take their deadline rules (``deadlines``) and per-department figures (``figures``)
from here too."""
