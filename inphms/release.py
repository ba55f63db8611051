"""Version of the runtime, shown in logs and in API answers (server_ver)."""
version_info = (0, 1, 0)
version = ".".join(str(part) for part in version_info)
