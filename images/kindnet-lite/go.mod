module harness.local/kindnet-lite

go 1.22
