-- The legacy database of the docker-compose stack: the seed 000 example dump (the platform's
-- import guide, as test/fixtures/be_users.sql has it: INSERT IGNORE, because the seed row puts
-- NULL into the NOT NULL gender column, and an unobfuscated email), plus one working test user.
-- The seed row's bcrypt value is 57 characters, cut short in the guide, so no password can
-- ever match it: the bridge counts it as an unusable hash. The test user can log in:
--   username testuser, email testuser@example.com, password Welcome-2024
-- (bcrypt, cost 10, in Laravel's $2y$ form). Run by the MariaDB image at first start, in
-- the database named by MARIADB_DATABASE.

SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";

CREATE TABLE `be_users` (
  `id` int(10) UNSIGNED NOT NULL,
  `first_name` varchar(255) COLLATE utf8_unicode_ci DEFAULT NULL,
  `last_name` varchar(255) COLLATE utf8_unicode_ci DEFAULT NULL,
  `username` varchar(255) COLLATE utf8_unicode_ci NOT NULL,
  `email` varchar(255) COLLATE utf8_unicode_ci NOT NULL,
  `password` varchar(60) COLLATE utf8_unicode_ci NOT NULL,
  `gender` enum('M','F') COLLATE utf8_unicode_ci NOT NULL,
  `birthday` datetime DEFAULT NULL,
  `accept_notifications` tinyint(1) DEFAULT NULL,
  `accept_sharing` tinyint(1) DEFAULT NULL,
  `accept_personal_data` tinyint(1) DEFAULT NULL,
  `remember_token` varchar(100) COLLATE utf8_unicode_ci DEFAULT NULL,
  `is_logged` tinyint(1) NOT NULL DEFAULT '0',
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

INSERT IGNORE INTO `be_users` (`id`, `first_name`, `last_name`, `username`, `email`, `password`, `gender`, `birthday`, `accept_notifications`, `accept_sharing`, `accept_personal_data`, `remember_token`, `is_logged`, `created_at`, `updated_at`) VALUES
(28774, NULL, NULL, 'testuser-bal', 'testuser-bal@example.com', '$2y$10$fKm6UoynjcE3cDoM5oVm3.WHXWTIv5hhyohExw2t83pOGqCUXU', NULL, NULL, NULL, NULL, NULL, NULL, '0', NULL, NULL);

ALTER TABLE `be_users`
  ADD PRIMARY KEY (`id`),
  ADD UNIQUE KEY `be_users_username_unique` (`username`),
  ADD UNIQUE KEY `be_users_email_unique` (`email`);

ALTER TABLE `be_users`
  MODIFY `id` int(10) UNSIGNED NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=28776;
COMMIT;

-- The working test user (seed 000, step 1: "Create a Test User"). Id 28775 is the one the
-- dump's AUTO_INCREMENT=28776 leaves free.
INSERT INTO `be_users` (`id`, `first_name`, `last_name`, `username`, `email`, `password`, `gender`, `birthday`, `accept_notifications`, `accept_sharing`, `accept_personal_data`, `remember_token`, `is_logged`, `created_at`, `updated_at`) VALUES
(28775, 'Test', 'User', 'testuser', 'testuser@example.com', '$2y$10$xk1ducI0yPX63XrtsUWabezA78XMTl1qtCA51b23vaD/4gL0/wyKq', 'F', '1990-05-17 00:00:00', 1, 0, 1, NULL, 0, '2021-03-04 10:00:00', '2021-03-04 10:00:00');
