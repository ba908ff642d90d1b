# Models arrive with this app's own issue (shared/MISSION.md).
