"""WTForms for questionnaires: the factory that turns a questionnaire version into a form class.

The fixed forms of the admin pages live with their domains (``app/<domain>/forms.py``). Nothing here touches
the database or the request: views pass data in and read data out.
"""
