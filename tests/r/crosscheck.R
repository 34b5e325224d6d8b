# The statistics oracle for papi's scoring engine: R's survey package (Lumley) computes the same
# estimates and standard errors from the same data, written by tests/r_crosscheck.rs.
#
# Usage: Rscript crosscheck.R scores.csv combos.csv out.csv [by_column|-] [sex_margins.csv district_margins.csv]
#   scores.csv: design columns (stratum, cluster, weight), a domain column if any, and for each
#               indicator k the columns num_k (w-free score, 0 when missing) and den_k (1 when present).
#   combos.csv: combo, indicator, coefficient, constant: sub-dimensions, dimensions and the total as
#               constant + sum(coefficient * indicator estimate).
# Writes out.csv: group, level, id, estimate, se.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust", digits = 17)

args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8")
combos <- read.csv(args[2], stringsAsFactors = FALSE)
by <- if (length(args) >= 4 && args[4] != "-") args[4] else NA

indicators <- sub("^num_", "", grep("^num_", names(d), value = TRUE))
design <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = d, nest = TRUE)
if (length(args) >= 6) {
  # Raked to the margins of sex and district: estimates and SEs of the calibrated design.
  sex <- read.csv(args[5], stringsAsFactors = FALSE, encoding = "UTF-8")
  district <- read.csv(args[6], stringsAsFactors = FALSE, encoding = "UTF-8")
  design <- rake(design, list(~sex, ~district), list(sex, district),
                 control = list(maxit = 1000, epsilon = 1e-10))
}

num <- as.formula(paste("~", paste0("num_", indicators, collapse = " + ")))
den <- as.formula(paste("~", paste0("den_", indicators, collapse = " + ")))

# Contrasts over the K x K ratios num_i/den_j that svyratio returns: pick the diagonal.
ratio_name <- function(k) paste0("num_", k, "/den_", k)
contrasts <- list()
for (k in indicators) {
  w <- setNames(1, ratio_name(k))
  contrasts[[paste0("indicator:", k)]] <- w
}
for (cid in unique(combos$combo)) {
  rows <- combos[combos$combo == cid, ]
  contrasts[[cid]] <- setNames(rows$coefficient, sapply(rows$indicator, ratio_name))
}
constant <- function(id) {
  if (startsWith(id, "indicator:")) 0 else combos$constant[combos$combo == id][1]
}

rows <- list()
emit <- function(group, est) {
  for (id in names(contrasts)) {
    e <- est[[id]]
    level <- if (startsWith(id, "indicator:")) "indicator" else strsplit(id, ":")[[1]][1]
    name <- sub("^[a-z]+:", "", id)
    rows[[length(rows) + 1]] <<- data.frame(group = group, level = level, id = name,
      estimate = e$estimate + constant(id), se = e$se)
  }
}

contrast_all <- function(stat) {
  out <- list()
  for (id in names(contrasts)) {
    cc <- svycontrast(stat, contrasts[[id]])
    out[[id]] <- list(estimate = as.numeric(coef(cc)), se = as.numeric(SE(cc)))
  }
  out
}

if (is.na(by)) {
  r <- svyratio(num, den, design, covmat = TRUE)
  emit("", contrast_all(r))
} else {
  for (g in unique(d[[by]])) {
    # A domain within the full design (as svyby does): subsetting the design, never the data.
    sub <- subset(design, d[[by]] == g)
    r <- svyratio(num, den, sub, covmat = TRUE)
    emit(g, contrast_all(r))
  }
}
write.csv(do.call(rbind, rows), args[3], row.names = FALSE, fileEncoding = "UTF-8")
