"""The runtime every Grassroots service shares."""
