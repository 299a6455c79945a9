# Reference values for soskulib.effectsize (tests/test_effectsize.py reads the JSON).
# Run from the repository root:  Rscript tests/reference/effectsize.R
# Independent computation in base R: noncentral-t confidence limits by uniroot() on pt(ncp=).
library(jsonlite)

out_dir <- "tests/reference"

# Lakens (2013) Table 2 movie ratings, and two seeded simulated sets.
lakens <- data.frame(dataset = "lakens2013",
                     pre = c(9, 6, 7, 8, 7, 9, 8, 8, 8, 7),    # movie 2
                     post = c(9, 7, 8, 9, 8, 9, 9, 10, 9, 9))  # movie 1
set.seed(20240501)
n1 <- 25
z1 <- rnorm(n1); pre1 <- 50 + 10 * z1; post1 <- 53 + 10 * (0.6 * z1 + 0.8 * rnorm(n1))
sim1 <- data.frame(dataset = "sim_n25", pre = round(pre1, 3), post = round(post1, 3))
n2 <- 60
z2 <- rnorm(n2); pre2 <- 20 + 6 * z2; post2 <- 18.5 + 8 * (0.4 * z2 + sqrt(1 - 0.16) * rnorm(n2))
sim2 <- data.frame(dataset = "sim_n60_decrease", pre = round(pre2, 3), post = round(post2, 3))
data <- rbind(lakens, sim1, sim2)
write.csv(data, file.path(out_dir, "effectsize_data.csv"), row.names = FALSE)

ncp_limits <- function(t, df, level) {
  alpha <- 1 - level
  f <- function(target) {
    uniroot(function(l) pt(t, df, ncp = l) - target,
            interval = c(t - 10 - 2 * abs(t), t + 10 + 2 * abs(t)), tol = 1e-13)$root
  }
  c(f(1 - alpha / 2), f(alpha / 2))
}

ref <- list()
for (ds in unique(data$dataset)) {
  d <- data[data$dataset == ds, ]
  n <- nrow(d); diff <- d$post - d$pre
  m <- mean(diff); s <- sd(diff); se <- s / sqrt(n); t <- m / se
  sd_av <- (sd(d$pre) + sd(d$post)) / 2
  J <- 1 - 3 / (4 * (n - 1) - 1)
  for (level in c(0.95, 0.90)) {
    lam <- ncp_limits(t, n - 1, level)
    dz <- c(t / sqrt(n), lam / sqrt(n))
    dav <- c(m / sd_av, lam * se / sd_av)
    ref[[length(ref) + 1]] <- list(
      dataset = ds, level = level, n = n, t = t, r = cor(d$pre, d$post),
      dz = dz[1], dz_ci_low = dz[2], dz_ci_high = dz[3],
      dav = dav[1], dav_ci_low = dav[2], dav_ci_high = dav[3],
      gav = J * dav[1], gav_ci_low = J * dav[2], gav_ci_high = J * dav[3],
      t_test_p = t.test(d$post, d$pre, paired = TRUE)$p.value)
  }
}
writeLines(toJSON(list(
  generated_by = "tests/reference/effectsize.R",
  r_version = R.version.string,
  cases = ref), auto_unbox = TRUE, digits = NA, pretty = TRUE),
  file.path(out_dir, "effectsize_reference.json"))
