-- Key of delito: one row per Código Penal article and offence description.
select articulo, descripcion, count(*) as filas
from {{ ref('delito') }}
group by articulo, descripcion
having count(*) > 1
