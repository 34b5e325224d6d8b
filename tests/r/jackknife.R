# The jackknife oracle for papi's scoring engine: R's survey package on replicate weights. The design
# of scores.csv is turned into R's delete-one-PSU jackknife, as.svrepdesign(type = "JKn") (JK1 for a
# design without strata: R requires it there, and its replicates and variance are the same), raked with
# rake() on the replicate design when margins are given (which rakes every replicate); then every
# estimate, its replicate standard error, its t interval with df = degf(replicate design) and its design
# effect are written as crosscheck.R writes them, overall and for domains (svyby on the replicate
# design). Replicates are centred at their mean: R's default, survey.replicates.mse = FALSE.
#
# Usage: Rscript jackknife.R scores.csv combos.csv out.csv BY LAYOUT [sex_margins.csv district_margins.csv]
#   (the arguments of crosscheck.R)
# Writes out.csv: group, level, id, estimate, se, ci_low, ci_high, ci_low_normal, ci_high_normal, df,
# deff.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust", digits = 17)
stopifnot(!isTRUE(getOption("survey.replicates.mse")))

args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8")
combos <- read.csv(args[2], stringsAsFactors = FALSE)
by <- if (args[4] != "-") args[4] else NA
layout <- args[5]

indicators <- sub("^num_", "", grep("^num_", names(d), value = TRUE))
ids <- if (grepl("cluster", layout)) ~cluster else ~1
design <- if (grepl("strata", layout)) {
  as.svrepdesign(svydesign(ids = ids, strata = ~stratum, weights = ~weight, data = d, nest = TRUE),
                 type = "JKn")
} else {
  as.svrepdesign(svydesign(ids = ids, weights = ~weight, data = d), type = "JK1")
}
if (length(args) >= 7) {
  # Every replicate raked to the margins of sex and district (converged far below papi's 1e-6 check).
  sex <- read.csv(args[6], stringsAsFactors = FALSE, encoding = "UTF-8")
  district <- read.csv(args[7], stringsAsFactors = FALSE, encoding = "UTF-8")
  design <- rake(design, list(~sex, ~district), list(sex, district),
                 control = list(maxit = 10000, epsilon = 1e-13))
}
# R's degf of a replicate design: the rank of its replicate weights - 1, for domains too.
df_design <- degf(design)

num <- as.formula(paste("~", paste0("num_", indicators, collapse = " + ")))
den <- as.formula(paste("~", paste0("den_", indicators, collapse = " + ")))

ratio_name <- function(k) paste0("num_", k, "/den_", k)
combo_ids <- unique(combos$combo)
contrasts <- list()
for (cid in combo_ids) {
  rows <- combos[combos$combo == cid, ]
  contrasts[[cid]] <- setNames(rows$coefficient, sapply(rows$indicator, ratio_name))
}
constant <- function(id) combos$constant[combos$combo == id][1]

# The design effect: the replicate variance over the variance under simple random sampling with
# replacement. svyratio(deff = "replace") fails on a replicate design in survey 4.1 ("argument is not
# interpretable as logical"), so the SRSWR variance is computed as R's svytotal(deff = "replace") does
# on a replicate design: svyvar of the estimate's residual, times (sum of weights)^2 / n, on the
# (domain's) design. It does not depend on how the design variance is computed; svymean(deff =
# "replace") on a replicate design divides by the same.
srs_variance <- function(dsg, residual) {
  x <- as.matrix(residual)
  as.numeric(svyvar(x, dsg, estimate.only = TRUE)) * sum(dsg$pweights)^2 / length(dsg$pweights)
}
residual_of <- function(dsg, terms) {
  v <- dsg$variables
  w <- dsg$pweights
  r <- numeric(nrow(v))
  for (j in seq_len(nrow(terms))) {
    k <- terms$indicator[j]
    n_k <- v[[paste0("num_", k)]]
    d_k <- v[[paste0("den_", k)]]
    total_den <- sum(w * d_k)
    r <- r + terms$coefficient[j] * (n_k - sum(w * n_k) / total_den * d_k) / total_den
  }
  r
}
deff_of <- function(dsg, terms, se) se^2 / srs_variance(dsg, residual_of(dsg, terms))

out <- list()
emit <- function(group, level, id, estimate, se, ci, ci_normal, deff) {
  out[[length(out) + 1]] <<- data.frame(group = group, level = level, id = id,
    estimate = estimate, se = se, ci_low = ci[1], ci_high = ci[2],
    ci_low_normal = ci_normal[1], ci_high_normal = ci_normal[2],
    df = df_design, deff = deff)
}

# Sub-dimensions, dimensions and the total of one group: contrasts of the ratios on its design (the
# contrast of the ratios' replicates).
emit_combos <- function(group, dsg) {
  r <- svyratio(num, den, dsg, covmat = TRUE)
  for (cid in combo_ids) {
    cc <- svycontrast(r, contrasts[[cid]])
    shift <- constant(cid)
    level <- strsplit(cid, ":")[[1]][1]
    se <- as.numeric(SE(cc))
    emit(group, level, sub("^[a-z]+:", "", cid), as.numeric(coef(cc)) + shift, se,
         as.numeric(confint(cc, df = df_design)) + shift, as.numeric(confint(cc)) + shift,
         deff_of(dsg, combos[combos$combo == cid, ], se))
  }
}

ratio_formulas <- function(k) {
  list(num = as.formula(paste0("~num_", k)), den = as.formula(paste0("~den_", k)))
}
one <- function(k) data.frame(indicator = k, coefficient = 1)

if (is.na(by)) {
  for (k in indicators) {
    f <- ratio_formulas(k)
    r <- svyratio(f$num, f$den, design)
    se <- as.numeric(SE(r))
    emit("", "indicator", k, as.numeric(coef(r)), se, as.numeric(confint(r, df = df_design)),
         as.numeric(confint(r)), deff_of(design, one(k), se))
  }
  emit_combos("", design)
} else {
  # Indicators by domain from the replicates of the whole design, as svyby computes them.
  for (k in indicators) {
    f <- ratio_formulas(k)
    b <- svyby(f$num, as.formula(paste0("~", by)), design, svyratio, denominator = f$den)
    ci <- confint(b, df = df_design)
    ci_normal <- confint(b)
    groups <- as.character(b[[by]])
    for (i in seq_along(groups)) {
      se <- as.numeric(SE(b))[i]
      emit(groups[i], "indicator", k, as.numeric(coef(b))[i], se, ci[i, ], ci_normal[i, ],
           deff_of(subset(design, d[[by]] == groups[i]), one(k), se))
    }
  }
  for (g in unique(d[[by]])) {
    emit_combos(g, subset(design, d[[by]] == g))
  }
}
write.csv(do.call(rbind, out), args[3], row.names = FALSE, fileEncoding = "UTF-8")
