# Raking in R's survey package, for tests/r_crosscheck.rs: rakes the design of scores.csv to the
# margins of sex and district, then writes the raked weights and each indicator's estimate.
# Usage: Rscript rake.R scores.csv margins_sex.csv margins_district.csv weights_out.csv estimates_out.csv
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust", digits = 17)
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8")
sex <- read.csv(args[2], stringsAsFactors = FALSE, encoding = "UTF-8")
district <- read.csv(args[3], stringsAsFactors = FALSE, encoding = "UTF-8")
design <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = d, nest = TRUE)
raked <- rake(design, list(~sex, ~district), list(sex, district),
              control = list(maxit = 1000, epsilon = 1e-10))
write.csv(data.frame(weight = weights(raked)), args[4], row.names = FALSE)
indicators <- sub("^num_", "", grep("^num_", names(d), value = TRUE))
est <- sapply(indicators, function(k) {
  coef(svyratio(as.formula(paste0("~num_", k)), as.formula(paste0("~den_", k)), raked))
})
write.csv(data.frame(id = indicators, estimate = as.numeric(est)), args[5], row.names = FALSE)
