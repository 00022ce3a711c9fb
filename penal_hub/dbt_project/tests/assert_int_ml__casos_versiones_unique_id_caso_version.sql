-- Each version of each medio libre case is kept once.
select id_caso, version, count(*) as filas
from {{ ref('int_ml__casos_versiones') }}
group by id_caso, version
having count(*) > 1
