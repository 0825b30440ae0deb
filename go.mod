module github.com/dspib/dspib

go 1.26.8
