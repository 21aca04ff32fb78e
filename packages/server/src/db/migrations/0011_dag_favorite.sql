-- DAGs a user marked as favourite (Airflow's dag_favorite): shown first in their lists, filtered by is_favorite
CREATE TABLE dag_favorite (
  username  text NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
  dag_id    text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  PRIMARY KEY (username, dag_id)
);
