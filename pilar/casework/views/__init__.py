"""Casework pages, by sub-domain: `households` (households, members, caseloads), `activities`
(the phone form, the list, follow-ups), `reports` (monthly reports, the status table, the
summary in figures); `common` holds what they share."""
