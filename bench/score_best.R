# The reference for `papi score`'s benchmark, written as a strong R user would: the file read with
# data.table::fread, every answer mapped to its indicator value once (vectorised), svydesign built
# once, then for each analysis and each of its domains one svytotal of every indicator's numerator
# and denominator (with their joint covariance), svycontrast for the indicators' ratios (delta method,
# the same linearisation as papi), and svycontrast again for the sub-dimensions, dimensions and the
# total (linear in the ratios). The same estimates and standard errors as `papi score`.
#
# Usage: Rscript bench/score_best.R interviews.csv indicators.csv [BY ...]
# (indicators.csv from `papi survey indicators`; BY is `overall` or a column such as district or sex;
# default: overall district sex). Prints one line of timings.
suppressPackageStartupMessages({
  library(survey)
  library(data.table)
})
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
analyses <- if (length(args) > 2) args[-(1:2)] else c("overall", "district", "sex")

t0 <- proc.time()[["elapsed"]]
d <- fread(args[1], encoding = "UTF-8", na.strings = "", colClasses = "character")
spec <- read.csv(args[2], stringsAsFactors = FALSE, encoding = "UTF-8", na.strings = "")
t1 <- proc.time()[["elapsed"]]

# Answers to indicator values, once: choice values, a range, or any of a set of choices.
indicators <- unique(spec$indicator)
num <- paste0("num_", seq_along(indicators))
den <- paste0("den_", seq_along(indicators))
values <- data.frame(weight = as.numeric(d$weight), district = d$district, commune = d$commune)
for (i in seq_along(indicators)) {
  s <- spec[spec$indicator == indicators[i], ]
  x <- d[[s$question[1]]]
  y <- switch(s$kind[1],
    values = unname(setNames(as.numeric(s$score), s$choice)[x]),
    range = {
      v <- pmin(pmax((as.numeric(x) - s$lo[1]) / (s$hi[1] - s$lo[1]), 0), 1)
      if (isTRUE(as.logical(s$reverse[1]))) 1 - v else v
    },
    any_of = {
      hit <- vapply(strsplit(x, " ", fixed = TRUE), function(c) any(c %in% s$choice), logical(1))
      ifelse(is.na(x) | x == "", NA, as.numeric(hit))
    })
  values[[den[i]]] <- as.numeric(!is.na(y))
  values[[num[i]]] <- ifelse(is.na(y), 0, y)
}
for (b in setdiff(analyses, "overall")) values[[b]] <- d[[b]]
rm(d)
design <- svydesign(ids = ~commune, strata = ~district, weights = ~weight, data = values, nest = TRUE)
totals <- as.formula(paste("~", paste(c(num, den), collapse = " + ")))
ratios <- lapply(seq_along(indicators), function(i) call("/", as.name(num[i]), as.name(den[i])))
names(ratios) <- num
# Sub-dimensions, dimensions and the total: coefficients on the ratios (plus constants, added after).
meta <- unique(spec[, c("indicator", "dimension", "subdimension", "weight")])
combos <- list()
constants <- c()
for (dim in unique(meta$dimension)) {
  subs <- unique(meta$subdimension[meta$dimension == dim])
  for (sd in subs) {
    m <- meta[meta$subdimension == sd, ]
    a <- 9 / length(subs) * m$weight / sum(m$weight)
    combos[[sd]] <- setNames(a, num[match(m$indicator, indicators)])
    constants[sd] <- 1 / length(subs)
  }
  combos[[dim]] <- unlist(unname(combos[subs]))
  constants[dim] <- 1
}
combos[["total"]] <- unlist(unname(combos[unique(meta$dimension)]))
constants["total"] <- length(unique(meta$dimension))
t2 <- proc.time()[["elapsed"]]

estimates <- 0
for (by in analyses) {
  domains <- if (by == "overall") NA else unique(values[[by]])
  for (g in domains) {
    dom <- if (by == "overall") design else design[!is.na(values[[by]]) & values[[by]] == g, ]
    tot <- svytotal(totals, dom)
    r <- svycontrast(tot, ratios)
    c <- svycontrast(r, combos)
    est <- c(coef(r), coef(c) + constants[names(combos)])
    se <- c(SE(r), SE(c))
    estimates <- estimates + length(est)
  }
}
t3 <- proc.time()[["elapsed"]]
cat(sprintf("rows %d indicators %d estimates %d read_seconds %.2f map_seconds %.2f compute_seconds %.2f\n",
            nrow(values), length(indicators), estimates, t1 - t0, t2 - t1, t3 - t2))
