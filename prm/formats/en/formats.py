"""One way to write dates, times and numbers on every page (FORMAT_MODULE_PATH): "4 Dec 2026",
"4 Dec 2026, 14:05 CET" (the viewer's zone, tenancy.timezones), "1,027,247". Input formats
stay Django's (date inputs post ISO dates)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
# T: the zone's abbreviation; times are shown in the viewer's zone, so say which.
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
