# Reference values for the psych features added in issue 16 (soskulib.reliability):
# alpha's average_r, S/N and ase with complete rows and with psych's pairwise default;
# omega total with a negatively loading item (psych::omega flips it, flip = TRUE);
# psych omega on 200 bootstrap resamples whose row indices are stored, so the Python
# bootstrap can replay them and compare the percentile limits.
#
# Run from the repository root:  Rscript tests/reference/reliability_extra.R
# Writes tests/reference/reliability_extra.csv (the items, with missing values) and
# tests/reference/reliability_extra.json. New seeded data (seed 16101), not used to develop.

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})
here <- "tests/reference"

set.seed(16101)
n <- 250
lambda <- c(0.75, -0.65, 0.70, 0.55, -0.45, 0.60)   # items 2 and 5 reverse-worded
eta <- rnorm(n)
latent <- outer(eta, lambda) + sweep(matrix(rnorm(n * 6), n), 2, sqrt(1 - lambda^2), "*")
x <- as.data.frame(apply(latent, 2, function(v) findInterval(v, c(-1.2, -0.4, 0.4, 1.2))))
names(x) <- sprintf("i%d", 1:6)
miss <- matrix(runif(n * 6) < 0.06, n)                # about 6 % of answers missing
x[miss] <- NA
write.csv(x, file.path(here, "reliability_extra.csv"), row.names = FALSE, na = "")
x <- read.csv(file.path(here, "reliability_extra.csv"))

total_of <- function(a) {
  t <- a$total
  list(raw_alpha = t$raw_alpha, std_alpha = t$std.alpha, average_r = t$average_r,
       s_n = t[["S/N"]], ase = t$ase, feldt = unname(c(a$feldt$lower.ci, a$feldt$upper.ci)))
}
keyed <- x
keyed$i2 <- 4 - keyed$i2
keyed$i5 <- 4 - keyed$i5
complete <- na.omit(keyed)
alpha_pairwise <- total_of(suppressWarnings(alpha(keyed)))      # psych default use = "pairwise"
alpha_complete <- total_of(suppressWarnings(alpha(complete)))

raw_complete <- na.omit(x)                              # unkeyed: omega must flip i2 and i5
om <- suppressWarnings(suppressMessages(omega(raw_complete, nfactors = 1, plot = FALSE)))
omega_flip <- list(omega_tot = om$omega.tot, key = unname(om$key),
                   loadings = unname(om$schmid$sl[, 1]), n = nrow(raw_complete))

set.seed(16102)
idx <- replicate(200, sample.int(nrow(raw_complete), replace = TRUE))
boot <- apply(idx, 2, function(i) suppressWarnings(suppressMessages(
  omega(raw_complete[i, ], nfactors = 1, plot = FALSE)))$omega.tot)
omega_boot <- list(indices = t(idx) - 1, omega_tot = boot,
                   ci = unname(quantile(boot, c(0.025, 0.975))))

out <- list(psych_version = as.character(packageVersion("psych")), r_version = R.version.string,
            alpha_pairwise = alpha_pairwise, alpha_complete = alpha_complete,
            omega_flip = omega_flip, omega_boot = omega_boot)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE),
           file.path(here, "reliability_extra.json"))
cat("wrote", file.path(here, "reliability_extra.json"), "\n")
