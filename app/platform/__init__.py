"""What every domain stands on and no domain owns: access rules and roles, the local calendar, the POST-action
helper, forms' shared pieces, exports and the tabular reader, phones, jobs, security headers, i18n, errors.

``platform`` imports no domain package (the layer contract in ``.importlinter`` keeps it so).
"""
