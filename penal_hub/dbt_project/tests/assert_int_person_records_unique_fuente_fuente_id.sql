-- One person record per source record.
select fuente, fuente_id, count(*) as filas
from {{ ref('int_person_records') }}
group by fuente, fuente_id
having count(*) > 1
