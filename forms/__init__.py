"""WTForms: the fixed forms of the admin pages, and (later) the questionnaire form builder.

Nothing here touches the database or the request: views pass data in and read data out.
"""
