module rill_bench_go

go 1.19
