-- The compose stack's working test user (step 1 of the import guide, "Create a Test User"), run by the
-- MariaDB image right after 001-be-users.sql (the import guide's example dump). The example row's own bcrypt
-- value is 57 characters, cut short in the guide, so no password can ever match it; this
-- user can log in: username testuser, email testuser@example.com, password Welcome-2024
-- (bcrypt, cost 10, in Laravel's $2y$ form).
INSERT INTO `be_users` (`id`, `first_name`, `last_name`, `username`, `email`, `password`, `gender`, `birthday`, `accept_notifications`, `accept_sharing`, `accept_personal_data`, `remember_token`, `is_logged`, `created_at`, `updated_at`) VALUES
(28775, 'Test', 'User', 'testuser', 'testuser@example.com', '$2y$10$xk1ducI0yPX63XrtsUWabezA78XMTl1qtCA51b23vaD/4gL0/wyKq', 'F', '1990-05-17 00:00:00', 1, 0, 1, NULL, 0, '2021-03-04 10:00:00', '2021-03-04 10:00:00');
