# The account the bridge reads the legacy table with: SELECT on be_users and nothing else,
# as the design asks of the legacy database. Sourced by the MariaDB image's entrypoint at
# first start (after 001-be-users.sql), which provides docker_process_sql and the env.
# Keep it non-executable: the entrypoint runs an executable .sh in a shell of its own,
# where docker_process_sql does not exist.
: "${LEGACY_DB_USER:?set LEGACY_DB_USER}" "${LEGACY_DB_PASSWORD:?set LEGACY_DB_PASSWORD}" "${MARIADB_DATABASE:?set MARIADB_DATABASE}"

docker_process_sql --database=mysql <<-EOSQL
	CREATE USER IF NOT EXISTS '${LEGACY_DB_USER}'@'%' IDENTIFIED BY '${LEGACY_DB_PASSWORD}';
	GRANT SELECT ON \`${MARIADB_DATABASE}\`.\`be_users\` TO '${LEGACY_DB_USER}'@'%';
	FLUSH PRIVILEGES;
EOSQL
