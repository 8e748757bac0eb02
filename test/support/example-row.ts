// The import guide's example be_users row as a driver hands it back: NULL names, NULL
// created_at, and a bcrypt value cut to 57 characters in the guide, so no password matches it.
export const EXAMPLE_HASH = '$2y$10$fKm6UoynjcE3cDoM5oVm3.WHXWTIv5hhyohExw2t83pOGqCUXU';

export const EXAMPLE_ROW = {
  id: 28774,
  first_name: null,
  last_name: null,
  username: 'testuser-bal',
  email: 'testuser-bal@example.com',
  password: EXAMPLE_HASH,
  gender: null,
  birthday: null,
  accept_notifications: null,
  accept_sharing: null,
  accept_personal_data: null,
  remember_token: null,
  is_logged: '0',
  created_at: null,
  updated_at: null,
} as const;
