"""The calendar across clients (issue 13): deadlines, expiries, planned mappings and rounds; a private
iCal feed per user.  A top floor: it reads hms and certification, nothing below imports it."""
