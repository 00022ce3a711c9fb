{#- Transfers between establishments per calendar month and motive, from which
    regional office to which (the TRASLADOS_<MOTIVO> indicators, broken down). -#}
select
    cast(date_trunc('month', m.fecha_movimiento) as date) as mes,
    m.motivo,
    coalesce(o.oficina_regional, 'NO REGISTRADA') as oficina_regional_origen,
    coalesce(d.oficina_regional, 'NO REGISTRADA') as oficina_regional_destino,
    cast(count(*) as integer) as traslados,
    cast(count(distinct m.id_interno) as integer) as personas
from {{ ref('movimiento_penitenciario') }} as m
left join {{ ref('establecimiento') }} as o on o.cod_ep = m.cod_ep_origen
left join {{ ref('establecimiento') }} as d on d.cod_ep = m.cod_ep_destino
where m.tipo_movimiento = 'TRASLADO' and m.fecha_movimiento is not null
group by cast(date_trunc('month', m.fecha_movimiento) as date), m.motivo,
         coalesce(o.oficina_regional, 'NO REGISTRADA'), coalesce(d.oficina_regional, 'NO REGISTRADA')
