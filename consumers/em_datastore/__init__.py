"""EM datastore: every supplier message kept, envelope-indexed and de-duplicated, for history and migration."""
