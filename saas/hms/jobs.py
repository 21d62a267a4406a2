"""Jobs of the HMS work (reminders, report rendering)."""
