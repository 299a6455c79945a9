# Reference values for soskulib.change (tests/test_change.py reads the JSON).
# Run from the repository root:  Rscript tests/reference/change.R
# Independent base-R implementation of the formulas as documented by R package
# clinicalsignificance (Claus et al.; not installed here): JT, GLN, EN, HA reliable change,
# Jacobson-Truax clinical significance, Wilson intervals via prop.test(correct = FALSE),
# and a grouped change table (means, SDs, r, d_z with noncentral-t CI).
library(jsonlite)

out_dir <- "tests/reference"
set.seed(19910101)
n <- 80
group <- rep(c("092", "167", "698"), length.out = n)
z <- rnorm(n)
pre <- round(25 + 6 * z, 1)
post <- round(28 + 6 * (0.7 * z + sqrt(1 - 0.49) * rnorm(n)) + ifelse(group == "698", 3, 0), 1)
post[c(5, 17)] <- NA          # missing end assessments
pre[c(33)] <- NA              # missing baseline
data <- data.frame(client = sprintf("c%02d", seq_len(n)), group = group, pre = pre, post = post)
write.csv(data, file.path(out_dir, "change_data.csv"), row.names = FALSE, na = "")

sd_pre <- 6.5; rel <- 0.85; cutoff <- 27
ok <- !is.na(pre) & !is.na(post)
m_pre <- mean(pre[ok]); m_post <- mean(post[ok])
s1 <- sd(pre[ok]); s2 <- sd(post[ok]); r12 <- cor(pre[ok], post[ok])
se <- sd_pre * sqrt(1 - rel)

rci <- list(
  jt = (post - pre) / sqrt(2 * se^2),
  gln = ((post - m_pre) - rel * (pre - m_pre)) / (sd_pre * sqrt(1 - rel^2)),
  en = (post - (rel * (pre - m_pre) + m_pre)) / se
)
rxx1 <- (s1^2 - se^2) / s1^2; rxx2 <- (s2^2 - se^2) / s2^2
r_dd <- (s1^2 * rxx1 + s2^2 * rxx2 - 2 * s1 * s2 * r12) / (s1^2 + s2^2 - 2 * s1 * s2 * r12)
rci$ha <- ((post - pre) * r_dd + (m_post - m_pre) * (1 - r_dd)) / (sqrt(r_dd) * sqrt(2 * se^2))
crit <- c(jt = 1.96, gln = 1.96, en = 1.96, ha = 1.65)

category <- function(r, cv, direction) {
  ifelse(is.na(r), NA, ifelse(direction * r > cv, "improved",
                              ifelse(direction * r < -cv, "deteriorated", "unchanged")))
}
categories <- list()
for (m in names(rci)) {
  categories[[paste0(m, "_higher")]] <- category(rci[[m]], crit[[m]], 1)
  categories[[paste0(m, "_lower")]] <- category(rci[[m]], crit[[m]], -1)
}
# Clinical significance (higher is better): recovered = improved & pre < cutoff & post >= cutoff
cs <- categories$jt_higher
cs[!is.na(cs) & cs == "improved" & pre < cutoff & post >= cutoff] <- "recovered"

# Wilson intervals for the JT (higher is better) category rates per group.
rates <- list()
for (g in sort(unique(group))) {
  cat_g <- categories$jt_higher[group == g & !is.na(categories$jt_higher)]
  for (k in c("deteriorated", "unchanged", "improved")) {
    x <- sum(cat_g == k); tot <- length(cat_g)
    ci <- prop.test(x, tot, correct = FALSE)$conf.int
    rates[[length(rates) + 1]] <- list(group = g, category = k, n = x, n_total = tot,
                                       ci_low = ci[1], ci_high = ci[2])
  }
}

# Grouped change table on complete pairs.
ncp_limits <- function(t, df, level = 0.95) {
  alpha <- 1 - level
  f <- function(target) uniroot(function(l) pt(t, df, ncp = l) - target,
                                interval = c(t - 10 - 2 * abs(t), t + 10 + 2 * abs(t)),
                                tol = 1e-13)$root
  c(f(1 - alpha / 2), f(alpha / 2))
}
table <- list()
for (g in sort(unique(group))) {
  sel <- ok & group == g
  x <- pre[sel]; y <- post[sel]; d <- y - x; k <- length(d)
  t <- mean(d) / (sd(d) / sqrt(k)); lam <- ncp_limits(t, k - 1)
  table[[length(table) + 1]] <- list(
    group = g, n_pre = sum(!is.na(pre) & group == g), n = k,
    mean_pre = mean(x), sd_pre = sd(x), mean_post = mean(y), sd_post = sd(y),
    mean_change = mean(d), sd_change = sd(d), r_prepost = cor(x, y),
    d_z = t / sqrt(k), d_z_ci_low = lam[1] / sqrt(k), d_z_ci_high = lam[2] / sqrt(k),
    n_improved = sum(categories$jt_higher[sel] == "improved"),
    n_unchanged = sum(categories$jt_higher[sel] == "unchanged"),
    n_deteriorated = sum(categories$jt_higher[sel] == "deteriorated"))
}

writeLines(toJSON(list(
  generated_by = "tests/reference/change.R", r_version = R.version.string,
  sd = sd_pre, reliability = rel, cutoff = cutoff, m_pre = m_pre, r_dd = r_dd,
  rci = rci, categories = categories, clinical = cs, rates = rates, table = table),
  auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
  file.path(out_dir, "change_reference.json"))
