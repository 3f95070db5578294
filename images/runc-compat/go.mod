module harness.local/runc-compat

go 1.22
