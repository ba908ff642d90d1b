"""Small helpers every app shares, on the ground floor so any app may use them: Markdown rendered
safely (`markdown`), domain names (`domains`), spreadsheet-safe cells (`spreadsheets`) and form
fields (`forms`). Only pure helpers belong here — no models, no business rules."""
