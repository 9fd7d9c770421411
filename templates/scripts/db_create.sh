# Creates a service's database and user on the MariaDB container (or
# updates the user's password). Run with sh -ec by the <service>_db_create
# one-shot at step 2, with DB_HOST, DB_PORT, DB_NAME, DB_USER and the
# secrets MYSQL_ROOT_PASSWORD and DB_PASSWORD.
for value in "$MYSQL_ROOT_PASSWORD" "$DB_PASSWORD"; do
  case "$value" in
    ''|*[!A-Za-z0-9_.,:+=@%/-]*)
      echo "db_create: a password is empty or has characters outside [A-Za-z0-9_.,:+=@%/-]" >&2
      exit 1;;
  esac
done
export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"
mysql --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%';
FLUSH PRIVILEGES;
SQL
echo "database $DB_NAME and user $DB_USER ready"
