"""The respondent's access-code form (the questionnaire itself is built by forms.questionnaire)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class AccessCodeForm(FlaskForm):
    code = StringField(_l("Access code"), validators=[DataRequired(), Length(max=20)],
                       description=_l("The 10 letters and digits in your text message."),
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                                  "spellcheck": "false", "inputmode": "text"})
