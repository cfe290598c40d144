"""Strings a new owner meets on the dashboard right after going live (the time zone its times are read in)."""

EN: dict[str, str] = {
    "dash.times_shown": "Times shown in {zone}",
}

FR: dict[str, str] = {
    "dash.times_shown": "Heures affichées : {zone}",
}
