"""A team's own export in: its tables read (CSV, Parquet, a sandbox), a draft privacy policy, and the
anonymise run that applies one."""
