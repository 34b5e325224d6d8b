# The reference for `papi score`'s benchmark: R's survey package computing the same estimates and
# standard errors (every indicator, sub-dimension, dimension and the total, by province) from the same
# interviews. Usage: Rscript bench/score.R interviews.csv indicators.csv
# (indicators.csv from `papi survey indicators`). Prints the seconds spent reading and computing.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)

t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8", na.strings = "")
spec <- read.csv(args[2], stringsAsFactors = FALSE, encoding = "UTF-8", na.strings = "")
t1 <- proc.time()[["elapsed"]]

# Scores from answers, as the definition says: choice values, a range, or any of a set of choices.
indicators <- unique(spec$indicator)
for (k in indicators) {
  s <- spec[spec$indicator == k, ]
  x <- d[[s$question[1]]]
  y <- switch(s$kind[1],
    values = unname(setNames(s$score, s$choice)[as.character(x)]),
    range = {
      v <- pmin(pmax((as.numeric(x) - s$lo[1]) / (s$hi[1] - s$lo[1]), 0), 1)
      if (isTRUE(s$reverse[1])) 1 - v else v
    },
    any_of = ifelse(is.na(x) | x == "", NA,
      as.numeric(sapply(strsplit(as.character(x), " "), function(c) any(c %in% s$choice)))))
  d[[paste0("den_", k)]] <- as.numeric(!is.na(y))
  d[[paste0("num_", k)]] <- ifelse(is.na(y), 0, y)
}
design <- svydesign(ids = ~commune, strata = ~district, weights = ~weight, data = d, nest = TRUE)

results <- list()
for (g in unique(d$province)) {
  dom <- subset(design, province == g)
  est <- numeric(0)
  z <- matrix(0, nrow(d), 0)
  for (k in indicators) {
    r <- svyratio(as.formula(paste0("~num_", k)), as.formula(paste0("~den_", k)), dom)
    est[k] <- coef(r)
    results[[paste(g, k)]] <- c(coef(r), SE(r))
  }
  # Sub-dimensions, dimensions and the total: linearised, and their variance from svytotal.
  in_dom <- d$province == g
  W <- sapply(indicators, function(k) sum(weights(design)[in_dom] * d[[paste0("den_", k)]][in_dom]))
  lin <- sapply(indicators, function(k) ifelse(in_dom, d[[paste0("den_", k)]] * (d[[paste0("num_", k)]] - est[k]) / W[k], 0))
  combos <- list()
  meta <- unique(spec[, c("indicator", "dimension", "subdimension", "weight")])
  for (dim in unique(meta$dimension)) {
    subs <- unique(meta$subdimension[meta$dimension == dim])
    dz <- 0
    for (sd in subs) {
      m <- meta[meta$subdimension == sd, ]
      a <- 9 / length(subs) * m$weight / sum(m$weight)
      combos[[sd]] <- lin[, m$indicator, drop = FALSE] %*% a
      dz <- dz + combos[[sd]]
    }
    combos[[dim]] <- dz
  }
  combos[["total"]] <- Reduce(`+`, combos[unique(meta$dimension)])
  zdata <- as.data.frame(do.call(cbind, combos))
  names(zdata) <- names(combos)
  zdesign <- svydesign(ids = ~commune, strata = ~district, weights = ~weight,
                       data = cbind(d[, c("commune", "district", "weight")], zdata), nest = TRUE)
  tot <- svytotal(as.formula(paste("~", paste0("`", names(combos), "`", collapse = " + "))), zdesign)
  results[[paste(g, "combos")]] <- SE(tot)
}
t2 <- proc.time()[["elapsed"]]
cat(sprintf("rows %d indicators %d read_seconds %.2f compute_seconds %.2f\n", nrow(d), length(indicators), t1 - t0, t2 - t1))
